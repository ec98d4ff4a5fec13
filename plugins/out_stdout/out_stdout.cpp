#include "plugins/out_stdout/out_stdout.h"

#include <unistd.h>

#include <array>

#include "agent/core/document_encoding.h"
#include "agent/core/durable_io.h"

namespace auditrelay {
namespace {

constexpr std::array<std::string_view, 2> kFormats{"ndjson", "bulk"};

constexpr std::array kSettings{
    SettingSpec{.key = "format",
                .type = SettingType::kEnum,
                .default_value = "ndjson",
                .doc = "ndjson: one document per line; bulk: an Elasticsearch _bulk body",
                .choices = kFormats},
};

class StdoutOutput : public Output {
 public:
  explicit StdoutOutput(DocumentFormat format) : format_(format) {}

  std::string write(const DocumentBatch& batch) override {
    buffer_.clear();
    append_documents(batch, format_, buffer_);
    return write_all(STDOUT_FILENO, buffer_);
  }

 private:
  DocumentFormat format_;
  std::string buffer_;
};

std::unique_ptr<Output> create(const Settings& settings, OutputContext /*context*/) {
  DocumentFormat format = DocumentFormat::kNdjson;
  parse_document_format(settings.string("format"), format);
  return std::make_unique<StdoutOutput>(format);
}

}  // namespace

const OutputPlugin kStdoutOutput{
    .type = "stdout",
    .description = "Writes documents to standard output",
    .settings = kSettings,
    .validate = nullptr,
    .create = create,
};

}  // namespace auditrelay
