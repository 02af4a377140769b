# Messages shared by the cloud portal and the recorder.
app-language = Language
password-too-short = Use at least { $min } characters.
password-too-long = Use at most { $max } characters.
password-common = This password is one of the most common ones and easy to guess. Choose another.
password-same-as-identity = The password must not be the same as the user name or e-mail address.
password-mismatch = The two passwords are not the same.
error-csrf = The form expired. Please try again.
error-internal = Something went wrong on our side. Please try again in a moment.
error-not-found = This page does not exist.
error-rate-limited = Too many attempts. Please wait a moment and try again.
error-busy = The service is busy. Please try again in a moment.
