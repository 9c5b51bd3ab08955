"""The policy language and engine. Pure: no sockets, files or clocks it was not handed."""
