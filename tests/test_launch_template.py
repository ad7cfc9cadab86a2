"""Launch-template JSON: the three shapes, names, versions, and what is never guessed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from iac_exposure.api import combined_patch, scan
from iac_exposure.config import Config
from iac_exposure.parsers.launch_template import is_launch_template

VERSIONS = {
    "LaunchTemplateVersions": [
        {
            "LaunchTemplateId": "lt-0a1b2c3d4e5f60718",
            "LaunchTemplateName": "web",
            "VersionNumber": 3,
            "DefaultVersion": False,
            "LaunchTemplateData": {"ImageId": "ami-1", "MetadataOptions": {"HttpTokens": "required"}},
        },
        {
            "LaunchTemplateId": "lt-0a1b2c3d4e5f60718",
            "LaunchTemplateName": "web",
            "VersionNumber": 2,
            "DefaultVersion": True,
            "LaunchTemplateData": {"ImageId": "ami-1", "MetadataOptions": {"HttpTokens": "optional"}},
        },
        {
            "LaunchTemplateId": "lt-0a1b2c3d4e5f60718",
            "LaunchTemplateName": "web",
            "VersionNumber": 1,
            "DefaultVersion": False,
            "LaunchTemplateData": {"ImageId": "ami-1"},
        },
    ]
}


def test_three_versions_one_compliant_reports_exactly_the_two_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("versions.json").write_text(json.dumps(VERSIONS, indent=4) + "\n")
    report = scan(["versions.json"], Config())
    assert [(r.finding.trait.id, r.finding.resource.address) for r in report.results] == [
        ("imdsv1-allowed", "web version 2 (default)"),
        ("imdsv1-allowed", "web version 1"),
    ]
    assert {r.finding.resource.name for r in report.results} == {"web"}
    for result in report.results:
        assert result.patch is not None
        assert "create a new version of web from the patched LaunchTemplateData of version" in result.patch.reason
    diff, _ = combined_patch(report, unsafe=True)
    Path("fix.diff").write_text(diff)
    subprocess.run(["git", "apply", "fix.diff"], check=True)
    patched = json.loads(Path("versions.json").read_text())
    assert [v["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] for v in patched["LaunchTemplateVersions"]] == [
        "required", "required", "required",
    ]  # fmt: skip
    assert not scan(["versions.json"], Config()).results


def test_names_without_a_template_name_are_paths_relative_to_the_scanned_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("templates/web").mkdir(parents=True)
    Path("templates/web/data.json").write_text('{"LaunchTemplateData": {"ImageId": "ami-1"}}')
    Path("templates/bare.json").write_text('{"ImageId": "ami-1", "InstanceType": "t3.micro"}')
    names = {r.finding.resource.name for r in scan(["templates"], Config()).results}
    assert names == {"web/data.json", "bare.json"}
    assert {r.finding.resource.name for r in scan(["templates/web/data.json"], Config()).results} == {"data.json"}


def test_groups_subnets_and_profiles_outside_the_file_are_never_guessed(tmp_path: Path) -> None:
    doc = {
        "ImageId": "ami-1",
        "MetadataOptions": {"HttpTokens": "required"},
        "IamInstanceProfile": {"Arn": "arn:aws:iam::111122223333:instance-profile/AdministratorAccess"},
        "NetworkInterfaces": [{"DeviceIndex": 0, "Groups": ["sg-0123"], "SubnetId": "subnet-0123"}],
    }
    path = tmp_path / "lt.json"
    path.write_text(json.dumps(doc))
    assert not scan([str(path)], Config()).results


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"ImageId": "ami-1"}, True),
        ({"LaunchTemplateData": {}, "LaunchTemplateName": "web"}, True),
        ({"LaunchTemplateVersions": [], "NextToken": "x"}, True),
        ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, False),
        ({"Resources": {"Lt": {"Type": "AWS::EC2::LaunchTemplate"}}}, False),
        ({"format_version": "1.2", "resource_changes": []}, False),
        ({"ImageId": "ami-1", "name": "x"}, False),
        ({}, False),
        ([], False),
    ],
)
def test_detection(data: object, expected: bool) -> None:
    assert is_launch_template(data) is expected


def test_other_json_is_skipped_and_broken_json_that_looks_ours_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "tsconfig.json").write_text('{\n  // comments are not JSON\n  "compilerOptions": {}\n}')
    (tmp_path / "template.json").write_text(
        json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Web": {"Type": "AWS::EC2::Instance"}}})
    )
    (tmp_path / "main.tf.json").write_text('{"resource": {}}')
    assert not scan([str(tmp_path)], Config()).diagnostics
    (tmp_path / "broken.json").write_text('{"LaunchTemplateData": {"ImageId": "ami-1",}}')
    report = scan([str(tmp_path)], Config())
    assert [(d.kind, Path(d.file).name, d.line) for d in report.diagnostics] == [("parse-error", "broken.json", 1)]
