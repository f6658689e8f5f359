"""placeholder: the MariaDB fixture is added with the MariaDB helper."""
