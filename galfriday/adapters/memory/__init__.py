"""In-memory adapters: fakes for every port, used by tests and by applications that embed galfriday."""
