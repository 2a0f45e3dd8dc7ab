using System.Collections.Concurrent;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VisionConsole.Web.Components.Layout;

namespace VisionConsole.Tests.Web.Components;

public sealed class ConsoleErrorBoundaryTests
{
    [Fact]
    public async Task PageThrows_ShowsReferenceLogsItAndRecoverRendersThePageAgain()
    {
        var log = new ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)>();
        await using var context = new ConsoleTestContext(configure: services =>
            services.AddLogging(logging => logging.AddProvider(new CapturingProvider(log))));
        var cut = context.Render<ConsoleErrorBoundary>(p => p.AddChildContent<FailingPage>());
        Assert.Equal("Fine so far", cut.Find("[data-test=failing-page] span").TextContent);

        cut.Find("[data-test=failing-page] button").Click();

        var reference = cut.Find("[data-test=page-error-reference]").TextContent;
        Assert.Matches("^[0-9a-f]{8}$", reference);
        Assert.Contains("Something went wrong on this page", cut.Find("[data-test=page-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-test=failing-page]"));
        var logged = Assert.Single(log, entry => entry.Level == LogLevel.Error);
        Assert.Contains(reference, logged.Message, StringComparison.Ordinal);
        Assert.Equal("the label store is on fire", logged.Exception?.Message);

        await cut.InvokeAsync(cut.Instance.Recover);

        Assert.Empty(cut.FindAll("[data-test=page-error]"));
        Assert.Equal("Fine so far", cut.Find("[data-test=failing-page] span").TextContent);
    }

    private sealed class FailingPage : ComponentBase
    {
        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.OpenElement(0, "div");
            builder.AddAttribute(1, "data-test", "failing-page");
            builder.OpenElement(2, "span");
            builder.AddContent(3, "Fine so far");
            builder.CloseElement();
            builder.OpenElement(4, "button");
            builder.AddAttribute(5, "onclick", EventCallback.Factory.Create<MouseEventArgs>(this, Fail));
            builder.CloseElement();
            builder.CloseElement();
        }

        private static void Fail() => throw new InvalidOperationException("the label store is on fire");
    }

    private sealed class CapturingProvider(ConcurrentQueue<(LogLevel, string, Exception?)> log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(log);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(ConcurrentQueue<(LogLevel, string, Exception?)> log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Enqueue((logLevel, formatter(state, exception), exception));
    }
}
