#pragma once
/// A small LZ77 byte codec for the record stored in schema::kSlotRecord. Xapian stores values
/// uncompressed, and zlib (its document-data codec) inflates too slowly for the page of hits, so
/// records are packed with this codec instead: a few hundred MB/s to compress, GB/s to decode.
///
/// Stored form: one format byte, then
///   'J' the input bytes as they are (tiny or incompressible input), or
///   'L' the decoded length (LEB128 varint) and a token stream. Each token is one byte: high nibble
///       the literal count, low nibble the match length minus 4 (15 = more follows as bytes added
///       up until one is below 255, literal count first). The literals follow, then, unless the
///       output is complete, the match offset (2 bytes, little endian, 1..65535 back) and the match
///       length extension. A match may overlap its own output (offset < length), repeating a
///       pattern.

#include <string>
#include <string_view>

namespace airm {

/// Packs `json` (any bytes) into the stored form; falls back to 'J' (raw) when packing would not
/// make it smaller.
[[nodiscard]] std::string compress_record(std::string_view json);

/// Unpacks what compress_record made. Every read and write is bounds-checked: a truncated or
/// corrupt `stored` throws IndexError naming `where` (the index and record) and the fix, an index
/// rebuild.
[[nodiscard]] std::string decompress_record(std::string_view stored, std::string_view where);

} // namespace airm
