// Bad input on the command line: every case is a clear message on stderr
// and a non-zero exit, never a crash (exit codes >= 128 mean a signal).
#include <gtest/gtest.h>

#include "run_keel.h"

namespace keel::test {
namespace {

void expect_clean_failure(const Outcome& outcome, const std::string& message_part) {
  EXPECT_NE(outcome.exit_code, 0) << outcome.err;
  EXPECT_LT(outcome.exit_code, 128) << "keel died from a signal: " << outcome.err;
  EXPECT_NE(outcome.err.find(message_part), std::string::npos)
      << "stderr does not mention '" << message_part << "':\n" << outcome.err;
}

TEST(CliErrors, MissingModelFileIsNamed) {
  expect_clean_failure(run_keel({"tokenize", "--model", "/nonexistent/model.gguf", "--text", "hi"}),
                       "/nonexistent/model.gguf");
}

TEST(CliErrors, FileThatIsNotAModelIsRejected) {
  const auto path = write_temp_file("not-a-model.bin", "this is plain text, not a model");
  expect_clean_failure(run_keel({"inspect", path}), "GGUF");
}

TEST(CliErrors, DirectoryWithoutConfigIsRejected) {
  expect_clean_failure(run_keel({"inspect", source_path("docs")}), "config.json");
}

TEST(CliErrors, TruncatedGgufIsRejected) {
  const auto path = write_temp_file("truncated.gguf", std::string("GGUF\x03\x00\x00\x00\x05", 9));
  expect_clean_failure(run_keel({"tokenize", "--model", path, "--text", "hi"}), "truncated.gguf");
}

TEST(CliErrors, TokenIdOutOfRangeIsRejected) {
  expect_clean_failure(
      run_keel({"detokenize", "--model", shared_testdata("vocab/ggml-vocab-gpt-2.gguf"), "--ids", "15496 99999999"}),
      "out of range");
}

TEST(CliErrors, MalformedIdListIsRejected) {
  expect_clean_failure(
      run_keel({"detokenize", "--model", shared_testdata("vocab/ggml-vocab-gpt-2.gguf"), "--ids", "12 abc"}),
      "abc");
}

TEST(CliErrors, InvalidMessagesJsonIsRejected) {
  const auto tmpl = write_temp_file("t.jinja", "{{ messages[0]['content'] }}");
  const auto messages = write_temp_file("m.json", "[{\"role\": \"user\", ");
  expect_clean_failure(run_keel({"chat-template", "--template", tmpl, "--messages", messages}), "not valid JSON");
}

TEST(CliErrors, UnsupportedTemplateSyntaxIsRejected) {
  const auto tmpl = write_temp_file("bad.jinja", "{% frobnicate %}");
  const auto messages = write_temp_file("m2.json", "[]");
  const auto outcome = run_keel({"chat-template", "--template", tmpl, "--messages", messages});
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_LT(outcome.exit_code, 128);
  EXPECT_NE(outcome.err.find("frobnicate"), std::string::npos) << outcome.err;
}

TEST(CliErrors, UnknownSubcommandFails) {
  const auto outcome = run_keel({"frobnicate"});
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_LT(outcome.exit_code, 128);
}

}  // namespace
}  // namespace keel::test
