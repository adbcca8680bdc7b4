"""Label Studio: the embedded server and the backend that talks to it."""
