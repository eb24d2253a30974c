// Field values out of the search cluster's reasons, for the status page. Elasticsearch and
// OpenSearch quote the value they could not take ("Preview of field's value: '10.0.0.1'"), and in
// Arkime's sessions those are captured traffic: addresses, host names, user agents, URLs. The log
// keeps them (the operator's own record, as protected as the capture); the page, which anyone who
// reaches PORT may read, shows a marker instead unless STATUS_SHOW_FIELD_VALUES turns them on.
// Each pattern is one the clusters really write (test/fixtures/responses/, ES 7-9, OpenSearch 1-3,
// and the usual number and date parse errors); what follows `(caused by …` is cut the same way.

export const hiddenValue = '(hidden)';

/**
 * A quoted value ends at its closing quote when what follows is the end of the text, the cause
 * our reasons append (` (caused by …`), or the cause's closing parenthesis; a text cut short
 * (the log keeps 300 characters of a reason) ends the value at the end.
 */
const until = (quote: string): string => `[^]*?(?:${quote}(?=$|\\s\\(caused by |\\)$|\\)\\s)|$)`;

const patterns: [RegExp, string][] = [
  // ES and OpenSearch: failed to parse field [f] of type [t] in document with id '…'. Preview of field's value: '…'
  [new RegExp(`(Preview of field's value: )'${until("'")}`, 'g'), `$1${hiddenValue}`],
  // The date parser: failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]
  [/(failed to parse date field \[)[^]*?(?=\] with format \[)/g, `$1${hiddenValue}`],
  // java.time: Text 'yesterday' could not be parsed at index 0
  [/(\bText )'[^]*?(?=' could not be parsed)'/g, `$1${hiddenValue}`],
  // The ip type: 'not-an-ip' is not an IP string literal.
  [/(^|: |\()'[^]*?(?=' is not an IP string literal)'/g, `$1${hiddenValue}`],
  // Numbers: For input string: "abc"; Value [x] is out of range for a long; Numeric value (…) out of range
  [new RegExp(`(For input string: )"${until('"')}`, 'g'), `$1${hiddenValue}`],
  [/(\bValue \[)[^]*?(?=\] is out of range)/g, `$1${hiddenValue}`],
  [/(\bNumeric value \()[^]*?(?=\) out of range)/g, `$1${hiddenValue}`],
  // Joda (ES 6 and older): Invalid format: "yesterday"
  [new RegExp(`(Invalid format: )"${until('"')}`, 'g'), `$1${hiddenValue}`],
  // A body that is not JSON: Unrecognized token 'this': …, and the request's start quoted by
  // Jackson on ES 8 and 9: [Source: (byte[])"this is not json"; line: 1, column: 6]
  [/(Unrecognized token )'[^]*?(?=': was expecting)'/g, `$1${hiddenValue}`],
  [/(\[Source: \([^)]*\))"[^]*?(?:"(?=; line: )|$)/g, `$1${hiddenValue}`],
];

/** `text` with every field value the cluster quoted in it replaced by (hidden). */
export function hideFieldValues(text: string): string {
  return patterns.reduce((cut, [pattern, marker]) => cut.replace(pattern, marker), text);
}
