using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Shared;

/// <summary>One box a <see cref="BoxedImage"/> draws.</summary>
/// <param name="Box">Where, normalized (0-1, origin top-left).</param>
/// <param name="Css">Its look (a class of <c>pages.css</c>, e.g. <c>box-error</c>, <c>box-truth</c>).</param>
/// <param name="Caption">Text on its top edge (label and score), or null.</param>
/// <param name="Test">Its <c>data-test</c> attribute.</param>
public sealed record OverlayBox(BoxRect Box, string Css, string? Caption = null, string? Test = null);
