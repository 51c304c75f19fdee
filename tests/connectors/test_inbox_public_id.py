"""An inbox's public id goes into webhook URLs and onto the command line, so it is plain."""

import re

from layan.connectors.models import _public_id


def test_public_ids_are_letters_and_digits_so_the_command_line_never_reads_one_as_an_option():
    ids = {_public_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9]{16}", value) for value in ids)
