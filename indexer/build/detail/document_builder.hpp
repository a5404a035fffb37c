#pragma once
/// Turns a prepared record into the Xapian document the schema describes.

#include "engine/analysis/analyzer.hpp"
#include "engine/metadata.hpp"
#include "engine/record/record.hpp"
#include "engine/record/store.hpp"
#include "engine/schema.hpp"

#include <xapian.h>

namespace airm {

/// Builds the document of `record`, whose facets are already normalised (codes for hierarchical
/// facets) and registered in `metadata`. In the local layout the record is appended to `records`
/// and the document points to it; in the remote-servable layout (metadata.servable()) it is the
/// document data, every field's stem terms are written, and `records` may be null.
[[nodiscard]] Xapian::Document build_document(const Record& record, const IndexMetadata& metadata,
                                              const Analyzer& analyzer, RecordStoreWriter* records);
/// The same with a record store.
[[nodiscard]] inline Xapian::Document build_document(const Record& record,
                                                     const IndexMetadata& metadata,
                                                     const Analyzer& analyzer,
                                                     RecordStoreWriter& records) {
    return build_document(record, metadata, analyzer, &records);
}

/// The text of one field as indexed (source joins its reference, title and authors).
[[nodiscard]] std::string field_text(const Record& record, schema::Field field);

} // namespace airm
