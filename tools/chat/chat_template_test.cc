// Chat templates: every family renders a known conversation to the exact
// string its template gives (the expected strings are those of llama.cpp's
// tests/test-chat-template.cpp for the same conversation, or of the model's
// official template where we follow it), real templates are recognised, and
// the fixture model's Qwen3 template formats and tokenizes as llama.cpp does.
#include "tools/chat/chat_template.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/tokenizer/tokenizer.h"
#include "storage/gguf_file.h"
#include "tests/support/fixtures.h"

namespace strata::chat {
namespace {

const std::vector<ChatMessage>& Conversation() {
  static const auto* c = new std::vector<ChatMessage>{
      {"system", "You are a helpful assistant"},
      {"user", "Hello"},
      {"assistant", "Hi there"},
      {"user", "Who are you"},
      {"assistant", "   I am an assistant   "},
      {"user", "Another question"},
  };
  return *c;
}

struct Case {
  ChatTemplate t;
  std::string expected;
};

TEST(ChatTemplateTest, FormatsTheKnownConversationInEveryFamily) {
  const std::vector<Case> cases = {
      {ChatTemplate::kChatMl,
       "<|im_start|>system\nYou are a helpful "
       "assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>"
       "\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
       "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother "
       "question<|im_end|>\n<|im_start|>assistant\n"},
      {ChatTemplate::kLlama3,
       "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
       "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant"
       "<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are "
       "you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
       "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>"
       "assistant<|end_header_id|>\n\n"},
      {ChatTemplate::kLlama2,
       "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] "
       "Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"},
      {ChatTemplate::kMistral,
       "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   "
       "I "
       "am an assistant   </s>[INST] Another question [/INST]"},
      {ChatTemplate::kMistralV1,
       " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you "
       "[/INST]"
       "    I am an assistant   </s> [INST] Another question [/INST]"},
      {ChatTemplate::kMistralV3,
       "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I "
       "am an assistant</s>[INST] Another question[/INST]"},
      {ChatTemplate::kMistralV3Tekken,
       "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I "
       "am an assistant   </s>[INST]Another question[/INST]"},
      {ChatTemplate::kMistralV7,
       "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>"
       "[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]"},
      {ChatTemplate::kDeepSeek2,
       "You are a helpful assistant\n\nUser: Hello\n\nAssistant: Hi "
       "there<｜end▁of▁sentence｜>User: "
       "Who are you\n\nAssistant:    I am an assistant   <｜end▁of▁sentence｜>User: Another "
       "question\n\nAssistant:"},
      {ChatTemplate::kDeepSeek3,
       "You are a helpful assistant<｜User｜>Hello<｜Assistant｜>Hi there<｜end▁of▁sentence｜>"
       "<｜User｜>Who are you<｜Assistant｜>   I am an assistant   <｜end▁of▁sentence｜><｜User｜>"
       "Another question<｜Assistant｜>"},
      {ChatTemplate::kGemma,
       "<start_of_turn>user\nYou are a helpful "
       "assistant\n\nHello<end_of_turn>\n<start_of_turn>model"
       "\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>"
       "model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n"
       "<start_of_turn>model\n"},
  };
  ASSERT_EQ(cases.size(), ChatTemplateNames().size());
  for (const Case& c : cases) {
    EXPECT_EQ(FormatChat(c.t, Conversation(), /*add_generation_prompt=*/true), c.expected)
        << ChatTemplateName(c.t);
  }
}

TEST(ChatTemplateTest, GenerationPromptOpensTheReply) {
  const std::vector<ChatMessage> hello = {{"user", "Hi"}};
  EXPECT_EQ(FormatChat(ChatTemplate::kChatMl, hello, false), "<|im_start|>user\nHi<|im_end|>\n");
  EXPECT_EQ(FormatChat(ChatTemplate::kChatMl, hello, true),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(FormatChat(ChatTemplate::kGemma, hello, true),
            "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(FormatChat(ChatTemplate::kDeepSeek2, hello, true), "User: Hi\n\nAssistant:");
  EXPECT_EQ(FormatChat(ChatTemplate::kDeepSeek3, hello, true), "<｜User｜>Hi<｜Assistant｜>");
  EXPECT_EQ(FormatChat(ChatTemplate::kLlama3, hello, true),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant"
            "<|end_header_id|>\n\n");
}

// Real templates (from the models' tokenizer_config.json) are recognised.
TEST(ChatTemplateTest, DetectsRealTemplates) {
  const std::vector<std::pair<std::string, ChatTemplate>> templates = {
      {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
       "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
       "'<|im_start|>assistant\\n' }}{% endif %}",
       ChatTemplate::kChatMl},
      // Mixtral-8x7B-Instruct / Mistral-7B-Instruct-v0.2.
      {"{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
       "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
       "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ "
       "'[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
       "message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant "
       "roles "
       "are supported!') }}{% endif %}{% endfor %}",
       ChatTemplate::kMistral},
      {"{%- if messages[0]['role'] == 'system' %}{%- set system_message = "
       "messages[0]['content'] %}{%- endif %}{{- bos_token }}{{- ' [INST] ' + system_message + "
       "'\\n\\n' + message['content'] + ' [/INST]' }}",
       ChatTemplate::kMistralV1},
      {"{{- \"[AVAILABLE_TOOLS] [\" }}{{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}",
       ChatTemplate::kMistralV3},
      {"{{- \"[AVAILABLE_TOOLS][\" }}{{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}",
       ChatTemplate::kMistralV3Tekken},
      {"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' "
       "+ message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ "
       "'[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% endif %}{% endfor %}",
       ChatTemplate::kMistralV7},
      {"{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') "
       "}}{% endif %}{% for message in messages %}{{ '<start_of_turn>' + role + '\\n' + "
       "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt "
       "%}{{'<start_of_turn>model\\n'}}{% endif %}",
       ChatTemplate::kGemma},
      {"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
       "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | "
       "trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% "
       "endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' "
       "}}",
       ChatTemplate::kLlama3},
      {"{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% "
       "endif %}{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ "
       "'User: ' + message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ "
       "'Assistant: ' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ "
       "message['content'] + '\\n\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ "
       "'Assistant:' }}{% endif %}",
       ChatTemplate::kDeepSeek2},
      {"{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] "
       "== 'user' %}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == "
       "'assistant' %}{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- "
       "endif "
       "%}{%- endfor %}{% if add_generation_prompt %}{{'<｜Assistant｜>'}}{% endif %}",
       ChatTemplate::kDeepSeek3},
      {"[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n", ChatTemplate::kLlama2},
  };
  for (const auto& [source, want] : templates) {
    auto got = DetectChatTemplate(source);
    ASSERT_TRUE(got.ok()) << got.status() << "\n" << source;
    EXPECT_EQ(ChatTemplateName(*got), ChatTemplateName(want)) << source;
  }
}

TEST(ChatTemplateTest, UnknownAndMissingTemplatesSayWhatToDo) {
  auto unknown = DetectChatTemplate("{% for m in messages %}<|user|>{{ m.content }}{% endfor %}");
  EXPECT_TRUE(absl::IsUnimplemented(unknown.status()));
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "--chat-template")) << unknown.status();
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "deepseek3")) << unknown.status();
  // Phi-4 uses <|im_start|> but is not ChatML.
  EXPECT_FALSE(DetectChatTemplate("<|im_start|>system<|im_sep|>").ok());
  EXPECT_TRUE(absl::IsNotFound(DetectChatTemplate("").status()));
}

TEST(ChatTemplateTest, NamesAndAliases) {
  for (const std::string& name : ChatTemplateNames()) {
    auto t = ChatTemplateFromName(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ(ChatTemplateName(*t), name);
  }
  EXPECT_EQ(*ChatTemplateFromName("qwen"), ChatTemplate::kChatMl);
  EXPECT_EQ(*ChatTemplateFromName("Mixtral"), ChatTemplate::kMistral);
  auto bad = ChatTemplateFromName("vicuna");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "chatml, llama3")) << bad.status();
}

// The fixture model carries Qwen3's real template: recognised as ChatML, and
// a formatted turn tokenizes to llama.cpp's ids for the same chat text.
TEST(ChatTemplateTest, FixtureQwen3TemplateMatchesLlamaCpp) {
  const std::string model = testing::FixturesDir() + "/models/qwen3moe-Q8_0.gguf";
  const std::string ref = testing::FixturesDir() + "/tokenizer/prompts_fixture_qwen3moe.json";
  STRATA_REQUIRE_PATH(model);
  STRATA_REQUIRE_PATH(ref);
  auto gguf = GgufFile::Open(model);
  ASSERT_TRUE(gguf.ok());
  auto source = (*gguf)->GetString("tokenizer.chat_template");
  ASSERT_TRUE(source.ok());
  auto t = DetectChatTemplate(*source);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, ChatTemplate::kChatMl);

  std::ifstream in(ref);
  const auto j = nlohmann::json::parse(in);
  const auto& chat = j["texts"]["chat"];
  const std::string text = absl::HexStringToBytes(chat["text_hex"].get<std::string>());
  const std::string formatted = FormatChat(*t, {{"user", "Hello, who are you?"}}, true);
  EXPECT_EQ(formatted, text);
  auto tokenizer = Tokenizer::FromGguf(**gguf);
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_EQ((*tokenizer)->Encode(formatted, /*add_special=*/true, /*parse_special=*/true),
            chat["ids_add_special_parse_special"].get<std::vector<int32_t>>());
}

}  // namespace
}  // namespace strata::chat
