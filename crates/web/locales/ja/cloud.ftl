# Cloud portal messages.
