"""Error codes of the registry (see ``core.errors.ErrorCode``)."""

from zhengtong.core.errors import ErrorCode


class RegistryError(ErrorCode):
    INVALID_IDENTIFIER = "invalid_identifier", "an identifier fails its format or check character"
    NO_MATCH = "no_match", "no registry record matches what was given"
    INACTIVE = "inactive", "the legal entity is not active"
    EXHAUSTED = "exhausted", "no resident ID number is free for that date of birth and region"
    BUSY = "busy", "the registry is busy with the same household; try again"
    ENCODING = "encoding", "the file is neither UTF-8 nor GBK/GB18030 text"
    CSV = "csv", "the CSV file is malformed"
