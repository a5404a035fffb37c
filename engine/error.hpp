#pragma once
/// Error types of airm. Every failure that reaches a user is an airm::Error whose message names the
/// input, the offending value and the fix; foreign errors (ICU, Xapian, JSON) are converted where
/// they enter the engine so that callers only ever catch this hierarchy.

#include <stdexcept>
#include <string>

namespace airm {

/// Base of every error airm throws on purpose.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Input data (records, mappings, taxonomies, options) that cannot be accepted as given.
class InvalidInput : public Error {
  public:
    using Error::Error;
};

/// A search query that cannot be run.
class QueryError : public Error {
  public:
    using Error::Error;
};

/// The index cannot be opened, read or written (locked, corrupt, not an index).
class IndexError : public Error {
  public:
    using Error::Error;
};

/// A newer commit replaced the revision a reader was reading; reopening (Index::refresh) and
/// running the operation again succeeds.
class IndexChanged : public IndexError {
  public:
    using IndexError::IndexError;
};

/// An index or saved model was written by a different, incompatible format version.
class VersionMismatch : public Error {
  public:
    using Error::Error;
};

/// Something named by the user (a file, a record id, an index) does not exist.
class NotFound : public Error {
  public:
    using Error::Error;
};

} // namespace airm
