using System.Buffers.Binary;
using System.Text.Json;
using Capgo.Edge.Contracts.V1;
using Google.Protobuf;

namespace Capgo.Edge.LoadBodies.Tests;

/// <summary>The bodies the load harness sends decode back, with the generated parsers, to what the spec asked for.</summary>
public sealed class BodyFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("load-bodies-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Spec = """
        {"grpc": [
          {"platform": "android", "device_id": "0b7c1d5e-1f4a-4c1e-9a57-3c1f2d6b9e10", "app_id": "com.loadtest.app0003",
           "custom_id": "", "version_build": "1.0.0", "version_code": "42", "version_os": "14", "version_name": "1.1.0",
           "plugin_version": "8.51.23", "is_emulator": false, "is_prod": true, "install_source": "com.android.vending"},
          {"platform": "ios", "device_id": "0B7C1D5E-1F4A-4C1E-9A57-3C1F2D6B9E10", "app_id": "com.loadtest.app0001",
           "is_prod": false, "defaultChannel": "beta"}],
         "http": [
          {"platform": "electron", "app_id": "com.loadtest.app0002", "custom_id": "", "is_emulator": false},
          {"app_id": "com.loadtest.app0004", "defaultChannel": "production", "version_name": "builtin"}]}
        """;

    private string WriteSpec(string json = Spec)
    {
        var path = Path.Combine(_folder, "spec.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static UpdateRequest Request(JsonElement element) => JsonParser.Default.Parse<UpdateRequest>(element.GetRawText());

    [Fact]
    public void GrpcCheckBodiesAreOneFrameOfTheSpecsRequest()
    {
        var sizes = BodyFiles.WriteChecks(WriteSpec(), _folder);

        using var spec = JsonDocument.Parse(Spec);
        var expected = spec.RootElement.GetProperty("grpc").EnumerateArray().Select(Request).ToList();
        Assert.Equal(2, sizes.Length);
        for (var n = 0; n < expected.Count; n++)
        {
            var frame = File.ReadAllBytes(Path.Combine(_folder, BodyFiles.GrpcCheck(n)));
            Assert.Equal(sizes[n], frame.Length);
            Assert.Equal(0, frame[0]);
            Assert.Equal((uint)frame.Length - 5, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4)));
            Assert.Equal(expected[n], UpdateRequest.Parser.ParseFrom(frame.AsSpan(5)));
        }
        var first = UpdateRequest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_folder, BodyFiles.GrpcCheck(0))).AsSpan(5));
        Assert.Equal("com.loadtest.app0003", first.AppId);
        Assert.True(first.HasIsEmulator);
        Assert.False(first.IsEmulator);
        Assert.True(first.HasCustomId);
        Assert.Equal("", first.CustomId);
        var second = UpdateRequest.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_folder, BodyFiles.GrpcCheck(1))).AsSpan(5));
        Assert.Equal("beta", second.DefaultChannel);
        Assert.False(second.HasVersionName);
    }

    [Fact]
    public void HttpCheckBodiesAreCompactContractJsonOneALine()
    {
        BodyFiles.WriteChecks(WriteSpec(), _folder);

        var lines = File.ReadAllText(Path.Combine(_folder, BodyFiles.HttpCheck)).Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.Equal("""{"app_id":"com.loadtest.app0002","platform":"electron","is_emulator":false,"custom_id":""}""", lines[0]);
        Assert.Equal("""{"app_id":"com.loadtest.app0004","version_name":"builtin","defaultChannel":"production"}""", lines[1]);
    }

    [Theory]
    [InlineData("""{"grpc": [{"app": "x"}], "http": []}""", "grpc[0]")]
    [InlineData("""{"grpc": [], "http": [{"is_prod": "yes"}]}""", "http[0]")]
    [InlineData("""{"grpc": []}""", "\"http\"")]
    public void ASpecThatIsNotUpdateRequestsIsRejectedByName(string spec, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => BodyFiles.WriteChecks(WriteSpec(spec), _folder));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(54)]
    [InlineData(120)]
    [InlineData(134)]
    [InlineData(136)]
    [InlineData(700)]
    public void EchoFramesHaveTheAskedSize(int framed)
    {
        var frame = EchoBodies.Frame(framed);
        Assert.Equal(framed, frame.Length);
        var echo = GrpcFrame.Read(frame, EchoRequest.Parser);
        Assert.Matches("^x+$", echo.Payload);
    }

    [Fact]
    public void WhereTheLengthPrefixGrowsTheEchoFrameIsTheLargestBelow()
    {
        // 135 framed = 130-byte message: a 127-character payload makes 129, a 128-character one 131.
        Assert.Equal(134, EchoBodies.Frame(135).Length);
    }

    [Theory]
    [InlineData(EchoBytes.Exchange, 130, 69, 100)]
    [InlineData(EchoBytes.Exchange, 130, 70, 100)]
    [InlineData(EchoBytes.Exchange, 131, 70, 100)] // 100.5 rounds to even
    [InlineData(EchoBytes.Both, 131, 72, 102)] // 101.5 rounds to even
    [InlineData(EchoBytes.Request, 131, 700, 131)]
    public void EchoSizeIsHalfTheExchangeOrTheRequest(EchoBytes mode, double request, double reply, int expected) =>
        Assert.Equal(expected, EchoBodies.Size(mode, request, reply));

    [Fact]
    public void EchoBodiesPairWithTheirChecks()
    {
        var checks = BodyFiles.WriteChecks(WriteSpec(), _folder);

        var sizes = BodyFiles.WriteEchoes(_folder, EchoBytes.Exchange, [69, 653], 330.4, 120.2);

        Assert.Equal(checks, sizes.GrpcCheckRequestBytes);
        for (var n = 0; n < checks.Length; n++)
        {
            var expected = EchoBodies.Size(EchoBytes.Exchange, checks[n], n == 0 ? 69 : 653);
            Assert.Equal(expected, sizes.GrpcEchoBytes[n]);
            Assert.Equal(expected, new FileInfo(Path.Combine(_folder, BodyFiles.GrpcEcho(n))).Length);
            Assert.Equal(checks[n], new FileInfo(Path.Combine(_folder, BodyFiles.GrpcEchoRequestSized(n))).Length);
        }
        Assert.Equal(225, sizes.HttpEchoBodyBytes);
        var http = File.ReadAllText(Path.Combine(_folder, BodyFiles.HttpEcho));
        Assert.Equal(225 + 1, http.Length);
        Assert.StartsWith("""{"payload":"xxx""", http, StringComparison.Ordinal);
        Assert.Equal(330 + 1, File.ReadAllText(Path.Combine(_folder, BodyFiles.HttpEchoRequestSized)).Length);
    }

    [Fact]
    public void WithoutHttpMeansOnlyGrpcEchoesAreWritten()
    {
        BodyFiles.WriteChecks(WriteSpec(), _folder);

        var sizes = BodyFiles.WriteEchoes(_folder, EchoBytes.Request, [69, 653], null, null);

        Assert.Null(sizes.HttpEchoBodyBytes);
        Assert.False(File.Exists(Path.Combine(_folder, BodyFiles.HttpEcho)));
        Assert.Equal(sizes.GrpcCheckRequestBytes, sizes.GrpcEchoBytes);
    }

    [Fact]
    public void RepliesDecodeThroughTheContractAndEmptyOnesAreNull()
    {
        var reply = new UpdateReply { Version = "1.4.0", Kind = "up_to_date" };
        var check = Path.Combine(_folder, "check.reply");
        var empty = Path.Combine(_folder, "error.reply");
        File.WriteAllBytes(check, GrpcFrame.Write(reply));
        File.WriteAllBytes(empty, []);

        using var decoded = JsonDocument.Parse(BodyFiles.DecodeReplies("CheckForUpdate", [check, empty]));

        Assert.Equal("1.4.0", decoded.RootElement[0].GetProperty("version").GetString());
        Assert.Equal("up_to_date", decoded.RootElement[0].GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, decoded.RootElement[1].ValueKind);
    }

    [Fact]
    public void AReplyWhoseHeaderDoesNotMatchItsLengthIsRejected()
    {
        var frame = GrpcFrame.Write(new EchoReply { Payload = "xyz" });
        var truncated = Path.Combine(_folder, "truncated.reply");
        File.WriteAllBytes(truncated, frame[..^1]);

        var error = Assert.Throws<InvalidDataException>(() => BodyFiles.DecodeReplies("Echo", [truncated]));
        Assert.Contains("truncated.reply", error.Message, StringComparison.Ordinal);
    }
}
