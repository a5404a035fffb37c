#pragma once
/// The index schema: which term prefixes and value slots hold what. Indexer and query layers build
/// every term through these functions so that the two always agree.

#include <optional>
#include <string>
#include <string_view>

namespace airm::schema {

/// Bumped whenever the terms or values written for a record change; an index of another version
/// must be rebuilt. Version 2 moved the stored record from the document data to kSlotRecord;
/// version 3 compresses the stored record with record_codec; version 4 no longer writes the
/// per-field stem terms of kDerivedField; version 5 keeps the stored records in record files of
/// airm's own (engine/record/store.hpp), kSlotRecord holding a pointer to them.
inline constexpr int kVersion = 5;

/// The searchable text fields of a record.
enum class Field { title, text, reasoning, source };
inline constexpr Field kAllFields[] = {Field::title, Field::text, Field::reasoning, Field::source};

/// "title", "text", "reasoning", "source".
[[nodiscard]] std::string_view field_name(Field field);
/// The field for a user-facing name; nullopt when `name` is not a field.
[[nodiscard]] std::optional<Field> field_from_name(std::string_view name);
/// Term prefix of a field ("S" for title, "XT" text, "XR" reasoning, "XS" source).
[[nodiscard]] std::string_view field_prefix(Field field);
/// How many times an occurrence counts in the unprefixed (all fields) terms: the field weight of
/// BM25 ranking (title 3, text 2, reasoning 1, source 1).
[[nodiscard]] unsigned field_wdf(Field field);
/// Positions of consecutive fields are this far apart, so phrases never span two fields.
inline constexpr unsigned kFieldPositionGap = 100;

/// Prefix of stemmed terms (Xapian's convention): "Z" + stem, or "Z" + field prefix + stem.
inline constexpr std::string_view kStemPrefix = "Z";
/// The field whose per-field stem terms ("Z" + prefix + stem) are not written, because they follow
/// from the others: in a record, the count of a stem in this field is (wdf of "Z" + stem - the sum
/// over the other fields of field_wdf(f) * wdf of their per-field stem term) / field_wdf(this
/// field). The text is the longest field, so leaving its terms out makes the build write far fewer
/// terms (the query library derives them: query/search/detail/derived_terms.hpp). Its non-word
/// terms (prefix + term) are still written.
inline constexpr Field kDerivedField = Field::text;
/// The per-field stem term of `stem` in `field` ("Z" + prefix + stem).
[[nodiscard]] std::string field_stem_term(Field field, std::string_view stem);
/// The stem of `term` when it is a per-field stem term of kDerivedField (which the index does not
/// hold); nullopt for any other term.
[[nodiscard]] std::optional<std::string_view> derived_field_stem(std::string_view term);

/// The unique-id term of a record.
[[nodiscard]] std::string id_term(std::string_view id);
/// The boolean filter term of one facet value (hierarchical values are indexed once per ancestor).
[[nodiscard]] std::string facet_term(std::string_view facet, std::string_view normalized_value);
/// Prefix shared by every facet term of `facet`.
[[nodiscard]] std::string facet_term_prefix(std::string_view facet);

/// Value slots.
inline constexpr unsigned kSlotId = 0;
inline constexpr unsigned kSlotYear = 1;
/// Where the stored record is (one JSON object, native shape, packed by compress_record of
/// engine/record/codec.hpp) that results, snippets and `show` read: a pointer into the index's
/// record files (engine/record/store.hpp), committed with the document. The records themselves
/// are not in Xapian: its document data is zlib-compressed (slow to inflate for a page of hits),
/// and a value or data read costs a B-tree descent and block copies where a memory map costs none.
inline constexpr unsigned kSlotRecord = 2;
inline constexpr unsigned kFirstFacetSlot = 10;
/// Separator of the values stored in a facet's slot.
inline constexpr char kValueSeparator = '\x1f';

/// Calls `visit` with each non-empty value of a facet slot's contents.
template <typename Visit> void for_each_value(std::string_view values, Visit&& visit) {
    std::size_t start = 0;
    while (start < values.size()) {
        std::size_t sep = values.find(kValueSeparator, start);
        if (sep == std::string_view::npos)
            sep = values.size();
        if (sep > start)
            visit(values.substr(start, sep - start));
        start = sep + 1;
    }
}

/// Metadata key holding the index metadata JSON.
inline constexpr std::string_view kMetadataKey = "airm:metadata";

} // namespace airm::schema
