"""Starting ``airflow ...`` commands from a test so that they never outlive it."""

from __future__ import annotations

# Runs each command with "SIGTERM me when my parent dies" (Linux prctl PR_SET_PDEATHSIG), so a
# test process killed outright (CI timeout, SIGKILL) still takes its Airflow processes with it:
# ``[sys.executable, "-c", AIRFLOW_LAUNCH, str(os.getpid()), *airflow_args]``.
AIRFLOW_LAUNCH = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "except (OSError, AttributeError):\n"
    "    pass\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('parent already gone')\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'airflow', *sys.argv[2:]])\n"
)
