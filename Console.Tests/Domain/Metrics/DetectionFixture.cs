using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;

namespace VisionConsole.Tests.Domain.Metrics;

/// <summary>
/// A hand-worked detector evaluation shared by the gallery, page and API tests: labels raccoon (0) and dog (1),
/// boxes as (left, top, width, height).
/// <code>
/// image 11: raccoon A (.1, .1, .4, .4); boxes raccoon .9 on A exactly, raccoon .6 at (.12, .12, .4, .4) (IoU .82 with A: a duplicate)
/// image 12: dog B (.5, .5, .4, .4); box dog .8 at (.7, .5, .4, .4) (IoU 1/3 with B: mislocalized at .5, found at .3)
/// image 13: no objects; box raccoon .7 at (.2, .2, .2, .2) (background)
/// image 14: raccoon C (0, 0, .5, .5); box raccoon .3 at (.6, .6, .3, .3) (background, overlaps nothing)
/// </code>
/// Confidence .5, IoU .5: TP 1 (A), FP 3 (.8 mislocalized on B, .7 background, .6 duplicate of A), FN 2 (B, C):
/// precision 1/4, recall 1/3, F1 2/7. IoU .3: the dog box finds B: TP 2, FP 2, FN 1: precision 1/2, recall 2/3, F1 4/7.
/// AP at IoU .5: raccoon 1/2 (.9 finds A, nothing finds C), dog 0, mAP 1/4; at IoU .3: dog 1, mAP 3/4.
/// Pooled at IoU .5 the best F1 is at .9 (1/2), the suggested confidence.
/// </summary>
internal static class DetectionFixture
{
    public static readonly string[] Labels = ["raccoon", "dog"];

    public static readonly BoxRect A = new(0.1, 0.1, 0.4, 0.4);
    public static readonly BoxRect B = new(0.5, 0.5, 0.4, 0.4);
    public static readonly BoxRect C = new(0, 0, 0.5, 0.5);
    public static readonly BoxRect Duplicate = new(0.12, 0.12, 0.4, 0.4);
    public static readonly BoxRect Shifted = new(0.7, 0.5, 0.4, 0.4);
    public static readonly BoxRect Background = new(0.2, 0.2, 0.2, 0.2);
    public static readonly BoxRect Far = new(0.6, 0.6, 0.3, 0.3);

    public static DetectionImage[] Images() =>
    [
        new(11, [new GroundTruthBox(0, A)], [new PredictedBox(0, A, 0.9f), new PredictedBox(0, Duplicate, 0.6f)]),
        new(12, [new GroundTruthBox(1, B)], [new PredictedBox(1, Shifted, 0.8f)]),
        new(13, [], [new PredictedBox(0, Background, 0.7f)]),
        new(14, [new GroundTruthBox(0, C)], [new PredictedBox(0, Far, 0.3f)]),
    ];

    public static DetectionEvaluation Evaluation() => new(Labels, Images());
}
