"""Tables, schemas, enums, the working-day calendar and the locality policy."""
