"""What the dashboard's pages share: where the functions are, how to call them,
how to cache and show what they answer."""
