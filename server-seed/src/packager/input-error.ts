/** A file the packager cannot use; `message` is the reason a person reads ("the file is truncated (…)"). */
export class InputError extends Error {
  readonly code = 'ERR_BAD_INPUT';
}
