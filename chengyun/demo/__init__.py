"""The deterministic demo district: every app adds its part through its AppConfig's demo_generator."""
