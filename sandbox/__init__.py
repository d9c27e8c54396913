"""Sandbox: every subprocess rtlsmith starts goes through :func:`run`."""
from rtlsmith.sandbox.backends import BACKENDS, Backend, BwrapBackend, DockerBackend, LocalBackend, get_backend
from rtlsmith.sandbox.command import Command, CommandResult, Limits
from rtlsmith.sandbox.supervisor import run

__all__ = ["BACKENDS", "Backend", "BwrapBackend", "Command", "CommandResult", "DockerBackend", "Limits",
           "LocalBackend", "get_backend", "run"]
