"""Shared fixtures: one launcher per test module, accounts as STS AssumeRole sessions."""
import itertools
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
_ids = itertools.count(1)


class Server:
    def __init__(self, *extra):
        env = dict(os.environ, PYTHONPATH=str(HERE))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lakewarden_moto", "--port", "0", "--exit-on-stdin-eof", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        line = self.proc.stdout.readline()
        assert line.startswith("LAKEWARDEN_MOTO_READY "), line
        self.endpoint = line.split()[1]

    def client(self, service, account):
        sts = boto3.client("sts", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/t", RoleSessionName="test")["Credentials"]
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"], config=Config(retries={"max_attempts": 1}))

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def account():
    """A fresh account id for each test (tests never reset the shared server)."""
    return f"{500000000000 + os.getpid() % 1000 * 1000 + next(_ids):012d}"
