"""Pure domain logic: no I/O, no asyncio, no clock reads. Imports only the standard library and attrs."""
