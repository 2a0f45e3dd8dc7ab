using System.Text;

namespace VisionConsole.Domain.Import;

/// <summary>One CSV record and the 1-based line it starts on.</summary>
internal sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// Streaming RFC 4180 reader: quoted fields with commas, doubled quotes and line breaks; LF, CRLF or CR line ends;
/// a UTF-8 byte-order mark is dropped by the <see cref="StreamReader"/>. Blank lines are skipped.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader)
{
    private int _line = 1;

    /// <summary>Set when the file ended inside a quoted field (the last record is still returned).</summary>
    public int? UnterminatedQuoteLine { get; private set; }

    public IEnumerable<CsvRecord> ReadAll()
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var recordLine = _line;
        var any = false;

        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                if (inQuotes)
                    UnterminatedQuoteLine = recordLine;
                if (any || field.Length > 0 || fields.Count > 0)
                {
                    fields.Add(field.ToString());
                    yield return new CsvRecord(recordLine, fields.ToArray());
                }
                yield break;
            }
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (c == '\n' || (c == '\r' && reader.Peek() != '\n'))
                        _line++;
                    field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 || field.ToString().Trim().Length == 0:
                    field.Clear();
                    inQuotes = true;
                    any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    any = true;
                    break;
                case '\r':
                case '\n':
                    if (c == '\r' && reader.Peek() == '\n')
                        reader.Read();
                    if (any || field.Length > 0 || fields.Count > 0)
                    {
                        fields.Add(field.ToString());
                        yield return new CsvRecord(recordLine, fields.ToArray());
                    }
                    fields.Clear();
                    field.Clear();
                    any = false;
                    _line++;
                    recordLine = _line;
                    break;
                default:
                    field.Append((char)c);
                    any = true;
                    break;
            }
        }
    }
}
