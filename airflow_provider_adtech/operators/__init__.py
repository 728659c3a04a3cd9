"""Operators: task arguments translated into hook and format calls, with a small XCom summary."""
