"""Database backends: Django's own, with the changes Yiwang's deployments need (see each module)."""
