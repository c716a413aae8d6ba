"""Members: the people the club serves, held by purpose."""
