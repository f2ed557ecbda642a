"""irctest controller for ircmini (ours, not part of irctest; see
doc/conformance.md). Copy it to irctest/controllers/ircmini.py in a local
irctest checkout and run pytest with --controller irctest.controllers.ircmini.

The binary: $IRCMINI_BIN (default: ircmini on $PATH). $IRCMINI_CLOAK=yes
runs with the cloak on (default off: loopback tests then see the real host,
as with the other servers irctest drives).
"""

import os
import shutil
import subprocess
from typing import Any, Optional, Set, Tuple, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.specifications import Capabilities, OptionalBehaviors

IRCMINI_BIN = os.environ.get("IRCMINI_BIN", "ircmini")

TEMPLATE_CONFIG = """\
[server]
name = My.Little.Server
network = IrcTestNet
description = test server
motd = Welcome to the irctest run.
state_directory = {directory}
{password_line}

[listen]
address = {hostname}:{port}

[limits]
; irctest opens many connections from loopback in a few seconds: the
; per-address limit and connect throttle exempt it, flood control is off
exempt = 127.0.0.0/8
exempt = ::1
flood_burst = 0

[operators]
operuser = {oper_hash}

[cloak]
enabled = {cloak}
"""


def _oper_hash(password: str) -> str:
    out = subprocess.run(
        ["openssl", "passwd", "-6", password], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.startswith("$6$"), out
    return out


class IrcminiController(BaseServerController, DirectoryBasedController):
    software_name = "ircmini"
    supported_sasl_mechanisms: Set[str] = set()
    supports_sts = False

    # what ircmini offers without a services link (doc/ircv3.md)
    capabilities = frozenset(
        {
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        }
    )
    optional_behaviors = frozenset(
        {
            OptionalBehaviors.BAN_EXCEPTION_MODE,
            OptionalBehaviors.INVITE_EXCEPTION_MODE,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
        }
    )

    _oper_hash_cache: Optional[str] = None

    def get_hostname_and_port(self) -> Tuple[str, int]:
        # loopback only
        _, port = super().get_hostname_and_port()
        return ("127.0.0.1", port)

    def create_config(self) -> None:
        super().create_config()
        with self.open_file("server.ini"):
            pass

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        if ssl:
            from irctest.runner import NotImplementedByController

            raise NotImplementedByController("TLS")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory
        if IrcminiController._oper_hash_cache is None:
            IrcminiController._oper_hash_cache = _oper_hash("operpassword")
        with self.open_file("server.ini") as fd:
            fd.write(
                TEMPLATE_CONFIG.format(
                    directory=self.directory,
                    password_line=f"password = {password}" if password else "",
                    hostname=hostname,
                    port=port,
                    oper_hash=IrcminiController._oper_hash_cache,
                    cloak=os.environ.get("IRCMINI_CLOAK", "no"),
                )
            )
        if faketime and shutil.which("faketime"):
            faketime_cmd = ["faketime", "-f", faketime]
            self.faketime_enabled = True
        else:
            faketime_cmd = []
        log = open(self.directory / "ircmini.log", "wb")
        self.proc = self.execute(
            [*faketime_cmd, IRCMINI_BIN, "-c", str(self.directory / "server.ini")],
            stdout=log,
            stderr=subprocess.STDOUT if self.debug_mode else log,
        )


def get_irctest_controller_class() -> Type[IrcminiController]:
    return IrcminiController
