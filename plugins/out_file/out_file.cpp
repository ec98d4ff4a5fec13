#include "plugins/out_file/out_file.h"

#include <array>

#include "agent/core/document_encoding.h"
#include "agent/core/durable_io.h"

namespace auditrelay {
namespace {

constexpr std::array<std::string_view, 2> kFormats{"ndjson", "bulk"};

constexpr std::array kSettings{
    SettingSpec{.key = "path",
                .type = SettingType::kPath,
                .doc = "File to append to (created with mode 0600, directories too)",
                .required = true},
    SettingSpec{.key = "format",
                .type = SettingType::kEnum,
                .default_value = "ndjson",
                .doc = "ndjson: one document per line; bulk: an Elasticsearch _bulk body",
                .choices = kFormats},
    SettingSpec{.key = "fsync",
                .type = SettingType::kBool,
                .default_value = "true",
                .doc = "fdatasync after each batch, before the input commits its offsets"},
};

class FileOutput : public Output {
 public:
  FileOutput(std::filesystem::path path, DocumentFormat format, bool sync)
      : file_(std::move(path)), format_(format), sync_(sync) {}

  std::string write(const DocumentBatch& batch) override {
    buffer_.clear();
    append_documents(batch, format_, buffer_);
    return file_.append(buffer_, sync_);
  }

 private:
  AppendFile file_;
  DocumentFormat format_;
  bool sync_;
  std::string buffer_;
};

std::unique_ptr<Output> create(const Settings& settings, OutputContext /*context*/) {
  DocumentFormat format = DocumentFormat::kNdjson;
  parse_document_format(settings.string("format"), format);
  return std::make_unique<FileOutput>(settings.string("path"), format, settings.boolean("fsync"));
}

}  // namespace

const OutputPlugin kFileOutput{
    .type = "file",
    .description = "Appends documents to a file (NDJSON or _bulk body)",
    .settings = kSettings,
    .validate = nullptr,
    .create = create,
};

}  // namespace auditrelay
