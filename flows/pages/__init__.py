"""Page objects: how to work each portal page. They never assert and never retry."""
