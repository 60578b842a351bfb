// Getting behind the bottle: approachCost is the oracle's "metres still to go" (zero at the
// contact point, shrinking all the way round, no jumps), approachPoint the next place to head for.
import { describe, expect, it } from 'vitest';
import { BOTTLE_APPROACH, approachCost, approachPoint, wrapAngle } from '../../sim/approach.ts';
import { Rng } from '../../sim/rng.ts';

const g = BOTTLE_APPROACH;
// The object off the table's centre, and a push direction that is not axis-aligned.
const [ox, oz] = [0.04, -0.03];
const angle = 0.7;
const behind = angle + Math.PI;
const at = (r: number, a: number): [number, number] => [ox + r * Math.cos(a), oz + r * Math.sin(a)];
const cost = (p: [number, number]): number => approachCost(ox, oz, p[0], p[1], angle);

describe('approachCost', () => {
  it('is zero at the contact point behind the object and positive everywhere else', () => {
    expect(cost(at(g.contact, behind))).toBeCloseTo(0, 9);
    const rng = new Rng(5);
    for (let i = 0; i < 300; i++) {
      const p = at(rng.uniform(0.02, 0.35), rng.uniform(-Math.PI, Math.PI));
      if (Math.hypot(p[0] - at(g.contact, behind)[0], p[1] - at(g.contact, behind)[1]) < 1e-3) continue;
      expect(cost(p)).toBeGreaterThan(0);
    }
    // Straight behind but farther out, and on the push line ahead of the object: both still have a way to go.
    expect(cost(at(0.15, behind))).toBeCloseTo(0.1, 6);
    expect(cost(at(g.radius, angle))).toBeGreaterThan(g.radius * (Math.PI - g.behindWithin));
  });

  it('falls steadily going round the circle from in front of the object to behind it, either way', () => {
    for (const way of [1, -1]) {
      let last = Infinity;
      for (let k = 1; k <= 180; k++) {
        const c = cost(at(g.radius, angle + way * (k / 180) * Math.PI));
        expect(c).toBeLessThan(last);
        last = c;
      }
      // Behind, on the circle: only the straight way in to the contact point is left.
      expect(last).toBeCloseTo(g.radius - g.contact, 9);
    }
  });

  it('is continuous: a small move changes it by at most a small multiple of the move, also across the behindWithin edge and the front', () => {
    const step = 1e-4;
    const rng = new Rng(11);
    const check = (p: [number, number], q: [number, number]): void => {
      const moved = Math.hypot(q[0] - p[0], q[1] - p[1]);
      expect(Math.abs(cost(q) - cost(p))).toBeLessThanOrEqual(10 * moved + 1e-12);
    };
    for (let i = 0; i < 400; i++) {
      const p = at(rng.uniform(0.03, 0.35), rng.uniform(-Math.PI, Math.PI));
      const d = rng.uniform(0, 2 * Math.PI);
      check(p, [p[0] + step * Math.cos(d), p[1] + step * Math.sin(d)]);
    }
    // Straddling the edges where the cost changes form: behindWithin either side, and the front (turn = +-pi).
    for (const r of [0.03, 0.05, g.radius, 0.2]) {
      for (const edge of [behind + g.behindWithin, behind - g.behindWithin, angle]) {
        const e = 1e-4 / r;
        check(at(r, edge - e), at(r, edge + e));
      }
    }
  });
});

describe('approachPoint', () => {
  it('within behindWithin of the side behind, heads for the contact point itself', () => {
    const contact = at(g.contact, behind);
    for (const off of [0, 0.3, -0.3, g.behindWithin - 1e-6, -(g.behindWithin - 1e-6)]) {
      for (const r of [0.06, 0.15]) {
        const p = at(r, behind + off);
        const [tx, tz] = approachPoint(ox, oz, p[0], p[1], angle);
        expect(tx).toBeCloseTo(contact[0], 9);
        expect(tz).toBeCloseTo(contact[1], 9);
      }
    }
  });

  it('elsewhere, gives a point on the circle turned at most `step` about the object, the shorter way toward behind', () => {
    const rng = new Rng(3);
    let full = 0;
    for (let i = 0; i < 200; i++) {
      const from = rng.uniform(-Math.PI, Math.PI);
      const turn = wrapAngle(behind - from);
      if (Math.abs(turn) <= g.behindWithin + 1e-6 || Math.abs(turn) > Math.PI - 1e-3) continue;
      const p = at(rng.uniform(0.04, 0.2), from);
      const [tx, tz] = approachPoint(ox, oz, p[0], p[1], angle);
      expect(Math.hypot(tx - ox, tz - oz)).toBeCloseTo(g.radius, 9);
      const moved = wrapAngle(Math.atan2(tz - oz, tx - ox) - from);
      expect(Math.abs(moved)).toBeLessThanOrEqual(g.step + 1e-9);
      expect(Math.abs(moved)).toBeLessThanOrEqual(Math.abs(turn) + 1e-9);
      // The shorter way: the same sense as the turn still to go, which it shortens.
      expect(Math.sign(moved)).toBe(Math.sign(turn));
      expect(Math.abs(wrapAngle(behind - Math.atan2(tz - oz, tx - ox)))).toBeLessThan(Math.abs(turn));
      if (Math.abs(turn) > g.step) {
        full++;
        expect(Math.abs(moved)).toBeCloseTo(g.step, 9);
      }
    }
    expect(full).toBeGreaterThan(20);
  });

  it('keeps the waypoint inside the workspace', () => {
    // The object near the workspace's edge, pushed away from it: the waypoint round its far side is clamped.
    const [tx, tz] = approachPoint(0.27, 0, 0.27, 0.1, Math.PI);
    expect(tx).toBeLessThanOrEqual(0.3);
    expect(Math.abs(tz)).toBeLessThanOrEqual(0.3);
    expect(tx).toBe(0.3);
  });
});
