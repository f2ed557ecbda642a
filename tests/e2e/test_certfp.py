#!/usr/bin/env python3
"""End-to-end tests of TLS client certificate fingerprints: WHOIS 276 to
the user and operators only, ENCAP CERTFP to services (NickServ CERT ADD,
live and in the burst), SASL EXTERNAL through the real Atheme. Client
certificates are throw-away self-signed ECDSA ones made here with openssl
req. The services tests skip themselves without atheme-services, the
cluster one without redis-server; the whole file skips (77) in a build
without TLS."""
import hashlib
import os
import re
import shutil
import ssl
import subprocess
import tempfile

from ircharness import Client, Server, Skip, free_port, oper_hash, running
import test_tls
from test_services import (ATHEME, Atheme, config, linked, notice_from,
                           wait_linked)
from test_cluster import REDIS, Redis, eventually, features, node_config
from test_tls import TLSClient, make_cert, tls_config

OPER_PW = "oper-secret"
_dir = tempfile.mkdtemp(prefix="ircmini-certfp-")


def client_cert(name):
    """A self-signed ECDSA P-256 client certificate and key, and its
    fingerprint computed here: SHA-256 of the DER, lowercase hex."""
    cert = os.path.join(_dir, name + ".crt")
    key = os.path.join(_dir, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=" + name, "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return (cert, key), hashlib.sha256(der).hexdigest()


def whois(c, nick):
    c.send("WHOIS " + nick)
    return c.collect_until(r" 318 ")


def certfp_lines(lines):
    return [l for l in lines if " 276 " in l]


def test_whois_276_to_self_and_operators_only():
    cert, key = make_cert("server")
    plain, tls = free_port(), free_port()
    mine, fp = client_cert("whoisme")
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    with running(tls_config(cert, key, plain, tls,
                            "[operators]\nboss = %s\n" % oper_hash(OPER_PW)), port=plain):
        me = TLSClient(tls, cert=mine).register("certy")
        got = certfp_lines(whois(me, "certy"))
        assert got == [":irc.test 276 certy certy :has client certificate fingerprint " + fp], got

        other = Client(plain).register("other")       # plain TCP: unaffected
        lines = whois(other, "certy")
        assert any(" 671 other certy " in l for l in lines), lines
        assert not certfp_lines(lines), lines          # privacy: not to others
        assert not certfp_lines(whois(other, "other"))

        oper = Client(plain).register("oper")
        oper.send("OPER boss " + OPER_PW)
        oper.expect(r" 381 ")
        got = certfp_lines(whois(oper, "certy"))
        assert got == [":irc.test 276 oper certy :has client certificate fingerprint " + fp], got

        # TLS without a certificate: asked for one, none given, fine
        nocert = TLSClient(tls).register("nocert")
        lines = whois(nocert, "nocert")
        assert any(" 671 nocert nocert " in l for l in lines), lines
        assert not certfp_lines(lines), lines
        assert not certfp_lines(whois(oper, "nocert"))

        # another certificate, another fingerprint
        theirs, fp2 = client_cert("whoisother")
        assert fp2 != fp
        t = TLSClient(tls, cert=theirs).register("certy2")
        assert fp2 in certfp_lines(whois(t, "certy2"))[0]


def test_certfp_travels_across_the_cluster():
    """Cluster mode: the fingerprint is part of the user (the USER event),
    so an operator on another node sees it; others there do not."""
    if not (REDIS and "cluster" in features()):
        raise Skip("redis-server or cluster support missing")
    cert, key = make_cert("server")
    mine, fp = client_cert("cluster")
    redis = Redis()
    nodes = []
    try:
        p1, tport = free_port(), free_port()
        nodes.append(Server(node_config(1, redis.port) +
                            "[listen]\naddress = 127.0.0.1:%d\ntls = 127.0.0.1:%d\n"
                            "[tls]\ncertificate = %s\nkey = %s\n" % (p1, tport, cert, key),
                            name="irc1.test", port=p1))
        nodes.append(Server(node_config(2, redis.port) +
                            "[operators]\nboss = %s\n" % oper_hash(OPER_PW), name="irc2.test"))
        certy = TLSClient(tport, cert=mine).register("certy")   # kept: a closed socket quits
        oper = Client(nodes[1].port).register("oper")
        oper.send("OPER boss " + OPER_PW)
        oper.expect(r" 381 ")
        line = eventually(oper, "WHOIS certy", r" 312 oper certy irc1\.test ")
        line = eventually(oper, "WHOIS certy", r" 276 oper certy ")
        assert line.endswith(":has client certificate fingerprint " + fp), line
        other = Client(nodes[1].port).register("other")
        eventually(other, "WHOIS certy", r" 312 other certy irc1\.test ")
        assert not certfp_lines(whois(other, "certy"))
    finally:
        for n in nodes:
            n.stop()
        redis.stop()
        shutil.rmtree(redis.dir, ignore_errors=True)
    for n in nodes:
        log = n.stderr()
        assert not re.search(r"AddressSanitizer|LeakSanitizer|runtime error", log), log[-4000:]


# ---- with services


def services_config(tport):
    cert, key = make_cert("server")
    return dict(listen="tls = 127.0.0.1:%d\n" % tport,
                extra="[tls]\ncertificate = %s\nkey = %s\n[operators]\nboss = %s\n"
                % (cert, key, oper_hash(OPER_PW)))


def cert_add(c, fp):
    """NickServ CERT ADD without an argument: Atheme takes the fingerprint
    it heard in ENCAP CERTFP."""
    c.send("PRIVMSG NickServ :CERT ADD")
    notice_from(c, "NickServ", r"Added fingerprint \W*%s" % fp)


def nickserv_register(c, password):
    c.send("PRIVMSG NickServ :REGISTER %s %s@example.test" % (password, c.nick))
    c.expect(r" 900 %s " % c.nick)


def external_client(tport, nick, cert=None):
    """A TLS client through CAP LS/REQ sasl and AUTHENTICATE EXTERNAL;
    returns it, the CAP LS lines and the lines up to the verdict."""
    c = TLSClient(tport, cert=cert)
    c.send("CAP LS 302")
    c.send("NICK " + nick)
    c.send("USER %s 0 * :EXTERNAL user" % nick)
    ls = c.collect_until(r"CAP \* LS :")
    c.send("CAP REQ :sasl")
    c.expect(r"CAP \S+ ACK :sasl")
    c.send("AUTHENTICATE EXTERNAL")
    c.expect(r"^AUTHENTICATE \+$")
    c.send("AUTHENTICATE +")
    return c, ls, c.collect_until(r" 90[3-7] ")


def test_sasl_external_logs_in_with_the_registered_certificate():
    if not ATHEME:
        raise Skip("atheme-services not installed")
    tport = free_port()
    mine, fp = client_cert("external")
    with linked(**services_config(tport)) as srv:
        a = TLSClient(tport, cert=mine).register("certuser")
        nickserv_register(a, "cert-pw")
        cert_add(a, fp)
        a.send("QUIT")

        c, ls, lines = external_client(tport, "certuser2", mine)
        assert re.search(r"\bsasl=\S*EXTERNAL", " ".join(ls)), ls
        text = "\n".join(lines)
        assert re.search(r" 900 certuser2 certuser2!\S+ certuser :You are now logged in as certuser",
                         text), text
        assert " 903 " in lines[-1], lines
        assert " 001 " not in text, text               # before registration
        c.send("CAP END")
        c.expect(r" 001 certuser2 ")
        c.send("WHOIS certuser2")
        lines = c.collect_until(r" 318 ")
        assert any(" 330 certuser2 certuser2 certuser :" in l for l in lines), lines
        assert any(" 276 certuser2 certuser2 :has client certificate fingerprint " + fp in l
                   for l in lines), lines

        # TLS without a certificate: EXTERNAL has nothing to go on
        n, _, lines = external_client(tport, "nocert")
        assert " 904 " in lines[-1], lines
        assert not any(" 900 " in l for l in lines), lines
        n.send("CAP END")
        n.expect(r" 001 nocert ")

        # a certificate nobody added
        stranger, _ = client_cert("stranger")
        s, _, lines = external_client(tport, "stranger", stranger)
        assert " 904 " in lines[-1], lines

        # plain TCP: as before (EXTERNAL fails, nothing else changes)
        p = Client(srv.port)
        p.send("CAP REQ :sasl")
        p.expect(r"ACK :sasl")
        p.send("AUTHENTICATE EXTERNAL")
        p.expect(r"^AUTHENTICATE \+$")
        p.send("AUTHENTICATE +")
        p.expect(r" 904 ")
        p.send("CAP END")
        p.register("plainuser")


def test_certfp_is_in_the_burst():
    """A user already connected when services link: its EUID in the burst
    is followed by ENCAP CERTFP, so CERT ADD works for it too."""
    if not ATHEME:
        raise Skip("atheme-services not installed")
    tport, sport, port = free_port(), free_port(), free_port()
    mine, fp = client_cert("burst")
    kw = services_config(tport)
    with running(config(sport, kw["listen"], kw["extra"]) % port, port=port) as srv:
        early = TLSClient(tport, cert=mine).register("early")
        srv.atheme = Atheme(sport)
        try:
            wait_linked(srv)
            nickserv_register(early, "early-pw")
            cert_add(early, fp)
        finally:
            srv.atheme.stop()


if __name__ == "__main__":
    test_tls.main(globals(), _dir)
