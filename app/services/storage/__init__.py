"""Where the practice's data is kept and how it is reached: the embedded SQLite
file of a practice of one, or the practice's PostgreSQL server shared by several
computers. The differences between the two live here; the services never ask
which one they run on."""
