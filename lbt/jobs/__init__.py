"""Background jobs: the queue (Huey: SQLite in the instance folder, Redis in production), the job
records users follow, the task layer the worker runs, and the periodic schedule."""
