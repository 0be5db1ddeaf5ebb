import { unifiedDiff, wordDiff, lineHunks } from "../text-diff.js";
console.log(unifiedDiff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nC\nd\ne\nf\ng\nh", { oldName: "x y.txt", newName: "x y.txt", context: 1 }));
console.log(JSON.stringify(wordDiff("The quick brown fox jumps.", "The quick red fox leaps, happily.")));
console.log(JSON.stringify(lineHunks("a\nb\n", "a\nc\n")));
console.log(JSON.stringify(unifiedDiff("", "new\n", { newName: "n.txt" })));
