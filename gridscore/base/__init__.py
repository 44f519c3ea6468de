"""The ground floor: settings, logging, embedded servers and error tracking. Imports none of ours."""
