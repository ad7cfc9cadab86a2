"""Documents → model. One package per format; adapters alone decide a value's Origin."""
