import { test } from "uvu";
import * as assert from "uvu/assert";
import { periodicCollector } from "./memory.js";

test("periodicCollector collects each time another `every` units of work have passed", () => {
  let collected = 0;
  const tick = periodicCollector(100, () => collected++);
  tick(60);
  assert.is(collected, 0);
  tick(40);
  assert.is(collected, 1, "at 100");
  tick(99);
  assert.is(collected, 1);
  tick(1);
  assert.is(collected, 2, "at 200");
  tick(350);
  assert.is(collected, 3, "one collection for a step that spans several intervals");
  tick(100);
  assert.is(collected, 4);
});

test("periodicCollector never collects for less than `every` in all", () => {
  let collected = 0;
  const tick = periodicCollector(1000, () => collected++);
  for (let i = 0; i < 99; i++) tick(10);
  assert.is(collected, 0);
});

test.run();
