#pragma once
/// The stored records of an index, kept beside the Xapian database in segment files of airm's own
/// ("records-N.airm"), and read through memory maps: showing a page of hits then reads no Xapian
/// blocks. Each document holds, in schema::kSlotRecord, a small pointer (segment, offset, length)
/// to its record's bytes, so the pointer is committed in the same Xapian transaction as the terms:
/// a reader always sees the records of the revision it reads.
///
/// Segments are append-only. A commit first makes the appended bytes durable, then commits Xapian;
/// bytes appended and never committed (a cancelled or killed writer) are never pointed to. Records
/// replaced or deleted stay in their segment until `airm compact` copies the current ones into a
/// new segment and removes the old ones (or the index is rebuilt).
///
/// A segment file starts with the line "airm-records 1" (format name and version); the records
/// follow as the bytes they were given (compress_record's stored form), back to back.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

/// Where one record's bytes are.
struct RecordPointer {
    std::uint32_t segment = 0;
    std::uint64_t offset = 0; ///< from the start of the segment file
    std::uint32_t length = 0;

    friend bool operator==(const RecordPointer&, const RecordPointer&) = default;
};

/// The pointer as stored in a value slot (three LEB128 varints).
[[nodiscard]] std::string encode_record_pointer(const RecordPointer& pointer);
/// The pointer of a stored value; nullopt when `value` is not one (empty, truncated, overlong).
[[nodiscard]] std::optional<RecordPointer> decode_record_pointer(std::string_view value);

/// File name of segment `segment` in an index folder.
[[nodiscard]] std::string record_segment_name(std::uint32_t segment);

/// The record files of an index folder: how many, their bytes, and the bytes of their headers.
struct RecordFiles {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::uint64_t header_bytes = 0;
};
[[nodiscard]] RecordFiles record_files(const std::string& folder);
/// Makes the file names in `folder` durable (best effort: some file systems cannot sync a folder),
/// so that a commit never points into a file whose name a crash could lose.
void sync_record_folder(const std::string& folder);
/// Removes the record files of `folder` numbered below `segment` (those a compaction replaced);
/// best effort, since a file left behind only wastes space. Returns how many were removed.
std::uint64_t remove_record_segments_below(const std::string& folder, std::uint32_t segment);

/// Appends records to one segment of an index folder. Not thread-safe; one per writer.
class RecordStoreWriter {
  public:
    /// Opens the highest-numbered segment in `folder` for appending, or creates segment 0 when the
    /// folder has none. Throws IndexError naming the file when it cannot be opened or is not a
    /// segment, VersionMismatch when it is of another format version.
    [[nodiscard]] static RecordStoreWriter open_last(const std::string& folder);
    /// Creates segment `segment` in `folder`, replacing any file of that name (the bulk build's
    /// workers' files).
    [[nodiscard]] static RecordStoreWriter create(const std::string& folder, std::uint32_t segment);

    RecordStoreWriter(RecordStoreWriter&&) noexcept;
    RecordStoreWriter& operator=(RecordStoreWriter&&) noexcept;
    ~RecordStoreWriter();

    /// Appends `bytes`; returns the pointer value to store in the record's document.
    [[nodiscard]] std::string append(std::string_view bytes);
    /// The bytes a pointer of this segment refers to, including appended bytes not yet synced
    /// (a writer reads its own uncommitted records). Throws IndexError when out of range.
    [[nodiscard]] std::string read(const RecordPointer& pointer, std::string_view where);
    /// Makes every appended byte durable (written and fsynced); call before the Xapian commit that
    /// points to them.
    void sync();
    /// Drops the bytes appended since the last sync() (the Xapian transaction was cancelled).
    void rollback();
    [[nodiscard]] std::uint32_t segment() const;
    [[nodiscard]] const std::string& path() const;

  private:
    struct Impl;
    explicit RecordStoreWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// Reads the records of one index folder through read-only memory maps of its segments, mapped on
/// first use and mapped again when a segment has grown (a newer revision). The segment files are
/// held open from construction, as Xapian holds its tables: a rebuild that swaps in a new folder
/// changes neither what this reader reads nor what its Xapian database does. Not thread-safe; one
/// per Index handle.
class RecordStoreReader {
  public:
    explicit RecordStoreReader(std::string folder);
    RecordStoreReader(RecordStoreReader&&) noexcept;
    RecordStoreReader& operator=(RecordStoreReader&&) noexcept;
    ~RecordStoreReader();

    /// The bytes `pointer_value` (a document's kSlotRecord) refers to. The view stays valid until
    /// the next call on this reader. Throws IndexError naming `where` and the fix (a rebuild) when
    /// the pointer is malformed or its segment is missing, of another format, or too short.
    [[nodiscard]] std::string_view read(std::string_view pointer_value,
                                        std::string_view where) const;
    /// The same for a decoded pointer.
    [[nodiscard]] std::string_view read(const RecordPointer& pointer, std::string_view where) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace airm
