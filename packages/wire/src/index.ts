// @superscalar/wire: every SuperScalar protocol message as a typed value with one codec. Re-exports only.
export {};
