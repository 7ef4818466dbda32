"""Culture hardware: device Protocols, simulators, drivers and the run controller."""
