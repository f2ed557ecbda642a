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

from irctest.basecontrollers import (
    BaseServerController,
    BaseServicesController,
    DirectoryBasedController,
)
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
{services_listen}
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
{services}"""

# With run_services: a link to Atheme (Debian's atheme-services), as in
# tests/e2e/test_services.py; the names are the ones irctest's cases expect.
SERVICES_NAME = "My.Little.Services"
SERVICES_CONFIG = """
[services]
name = {name}
send_password = to-services
receive_password = from-services
"""

ATHEME_CONFIG = """
loadmodule "modules/protocol/charybdis";
loadmodule "modules/backend/opensex";
loadmodule "modules/crypto/pbkdf2v2";
loadmodule "modules/nickserv/main";
loadmodule "modules/nickserv/identify";
loadmodule "modules/nickserv/register";
loadmodule "modules/chanserv/main";
loadmodule "modules/saslserv/main";
loadmodule "modules/saslserv/plain";
serverinfo {{
	name = "{name}";
	desc = "Atheme for irctest";
	numeric = "00A";
	recontime = 1;
	netname = "IrcTestNet";
	hidehostsuffix = "users.test";
	adminname = "test";
	adminemail = "test@localhost";
	registeremail = "noreply@localhost";
	mta = "/bin/false";
	loglevel = {{ all; }};
	maxlogins = 5;
	maxusers = 5;
	mdlimit = 30;
	emaillimit = 10;
	emailtime = 300;
	auth = none;
	casemapping = rfc1459;
}};
uplink "My.Little.Server" {{
	host = "127.0.0.1";
	port = {port};
	send_password = "from-services";
	receive_password = "to-services";
}};
nickserv {{ nick = "NickServ"; user = "NickServ"; host = "{name}"; real = "Nickname Services"; }};
chanserv {{ nick = "ChanServ"; user = "ChanServ"; host = "{name}"; real = "Channel Services"; }};
saslserv {{ nick = "SaslServ"; user = "SaslServ"; host = "{name}"; real = "SASL Authentication Agent"; }};
general {{ commit_interval = 5; flood_msgs = 0; ratelimit_uses = 0; }};
"""


class AthemeController(BaseServicesController, DirectoryBasedController):
    software_name = "Atheme"

    def run(self, protocol: str, server_hostname: str, server_port: int) -> None:
        self.create_config()
        assert self.directory
        with self.open_file("atheme.conf") as fd:
            fd.write(ATHEME_CONFIG.format(name=SERVICES_NAME, port=server_port))
        self.proc = self.execute(
            [
                "atheme-services",
                "-n",
                "-c",
                str(self.directory / "atheme.conf"),
                "-D",
                str(self.directory),
                "-l",
                str(self.directory / "atheme.log"),
                "-p",
                str(self.directory / "atheme.pid"),
            ],
            stdin=subprocess.DEVNULL,
        )


def _oper_hash(password: str) -> str:
    out = subprocess.run(
        ["openssl", "passwd", "-6", password], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out.startswith("$6$"), out
    return out


class IrcminiController(BaseServerController, DirectoryBasedController):
    software_name = "ircmini"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}  # with run_services
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

    def registerUser(self, case: Any, username: str, password: Optional[str] = None,
                     vhost: Optional[str] = None) -> None:
        if vhost is not None:
            # needs Atheme's HostServ and an oper account set up: not done here
            from irctest.runner import NotImplementedByController

            raise NotImplementedByController("vhost")
        super().registerUser(case, username, password)

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
        services = ""
        if run_services:
            _, sport = super().get_hostname_and_port()
            services = SERVICES_CONFIG.format(name=SERVICES_NAME)
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
                    services=services,
                    services_listen=f"services = 127.0.0.1:{sport}\n" if run_services else "",
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
        if run_services:
            self.wait_for_port()
            self.services_controller = AthemeController(self.test_config, self)
            self.services_controller.run(
                protocol="charybdis", server_hostname=hostname, server_port=sport
            )


def get_irctest_controller_class() -> Type[IrcminiController]:
    return IrcminiController
