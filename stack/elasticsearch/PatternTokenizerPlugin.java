// The `pattern` tokenizer for Elasticsearch servers unpacked from the integ-test distribution.
//
// That distribution leaves out the analysis-common module, and Arkime's sessions3 template
// defines its wordSplit analyzer with the pattern tokenizer, so without this the template is
// refused. This registers Lucene's own PatternTokenizer under the same name and settings
// (pattern, flags, group) as analysis-common does; nothing else changes in the server.
package io.arkime.kafkaindexer.stack;

import java.util.Map;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

public class PatternTokenizerPlugin extends Plugin implements AnalysisPlugin {
  @Override
  public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
    return Map.of("pattern", (indexSettings, environment, name, settings) -> {
      Pattern pattern = Regex.compile(settings.get("pattern", "\\W+"), settings.get("flags"));
      int group = settings.getAsInt("group", -1);
      return TokenizerFactory.newFactory(name, () -> new PatternTokenizer(pattern, group));
    });
  }
}
