# Recorder messages.
