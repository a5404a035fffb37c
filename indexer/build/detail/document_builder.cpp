#include "indexer/build/detail/document_builder.hpp"

#include "engine/codes.hpp"
#include "engine/record/codec.hpp"
#include "engine/schema.hpp"
#include "engine/utf8.hpp"

#include <algorithm>
#include <set>
#include <string_view>

namespace airm {

namespace {

/// The text of a field as indexed, without copying the fields that are stored whole: only the
/// source, which joins its reference, title and authors, is built in `scratch`.
std::string_view field_view(const Record& record, schema::Field field, std::string& scratch) {
    switch (field) {
    case schema::Field::title:
        return record.title;
    case schema::Field::text:
        return record.text;
    case schema::Field::reasoning:
        return record.reasoning;
    case schema::Field::source:
        scratch = record.source.ref;
        for (const std::string* part : {&record.source.title, &record.source.authors}) {
            if (!part->empty()) {
                scratch += (scratch.empty() ? "" : " \n ") + *part;
            }
        }
        return scratch;
    }
    return {};
}

/// Per-thread scratch space reused from document to document, so that building one allocates
/// little.
struct Scratch {
    std::string source;
    std::string term;
};

} // namespace

std::string field_text(const Record& record, schema::Field field) {
    std::string scratch;
    return std::string(field_view(record, field, scratch));
}

Xapian::Document build_document(const Record& record, const IndexMetadata& metadata,
                                const Analyzer& analyzer, RecordStoreWriter* records) {
    thread_local Scratch scratch;
    Xapian::Document doc;
    const bool servable = metadata.servable();
    if (servable) {
        doc.set_data(compress_record(to_json_line(record)));
    } else {
        doc.add_value(schema::kSlotRecord, records->append(compress_record(to_json_line(record))));
    }
    doc.add_boolean_term(schema::id_term(record.id));
    doc.add_value(schema::kSlotId, record.id);
    if (record.source.year) {
        doc.add_value(schema::kSlotYear, Xapian::sortable_serialise(*record.source.year));
    }

    Xapian::termpos base = 0;
    std::string& term = scratch.term;
    for (schema::Field field : schema::kAllFields) {
        const std::string_view text = field_view(record, field, scratch.source);
        if (text.empty()) {
            continue;
        }
        const Xapian::termcount wdf = schema::field_wdf(field);
        const std::string_view prefix = schema::field_prefix(field);
        Xapian::termpos last = 0;
        for (const Token& token : analyzer.analyze(text)) {
            const Xapian::termpos pos = base + token.position + 1;
            last = std::max(last, pos);
            doc.add_posting(token.term, pos, wdf);
            const std::string stem = analyzer.stem(token);
            if (!stem.empty()) {
                term.assign(schema::kStemPrefix).append(stem);
                doc.add_term(term, wdf);
                if (servable || field != schema::kDerivedField) {
                    term.assign(schema::kStemPrefix).append(prefix).append(stem);
                    doc.add_term(term);
                }
            } else {
                term.assign(prefix).append(token.term);
                doc.add_term(term);
            }
        }
        base = last + schema::kFieldPositionGap;
    }

    for (const auto& [name, values] : record.facets) {
        const FacetInfo* info = metadata.facet(name);
        if (info == nullptr) {
            continue;
        }
        std::set<std::string> stored;
        for (const auto& value : values) {
            if (info->hierarchical) {
                for (const auto& code : code_path(value)) {
                    doc.add_boolean_term(schema::facet_term(name, code));
                    stored.insert(code);
                }
            } else {
                doc.add_boolean_term(
                    schema::facet_term(name, utf8::truncate(analyzer.fold(value), 200)));
                stored.insert(value);
            }
        }
        std::string slot;
        for (const auto& v : stored) {
            if (!slot.empty())
                slot += schema::kValueSeparator;
            slot += v;
        }
        doc.add_value(info->slot, slot);
    }
    return doc;
}

} // namespace airm
