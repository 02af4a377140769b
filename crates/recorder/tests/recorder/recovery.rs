//! "Forgot password?" and the "Password recovery" screen.
