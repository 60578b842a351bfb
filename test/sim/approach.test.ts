// Going round the bottle to push it a given way: approachCost must be a distance that shrinks
// all the way round (the oracle's guidance descends it step by step) and approachPoint must head
// for the contact point only from behind, else turn round the bottle on its circle.
import { describe, expect, it } from 'vitest';
import { BOTTLE_APPROACH as G, approachCost, approachPoint, wrapAngle } from '../../sim/approach.ts';
import { Rng } from '../../sim/rng.ts';
import { WORKSPACE_HALF } from '../../sim/scene.ts';

const DEG = Math.PI / 180;
/** A point at distance r (m) and angle (rad) about (ox, oz). */
const around = (ox: number, oz: number, r: number, angle: number): [number, number] => [ox + r * Math.cos(angle), oz + r * Math.sin(angle)];

describe('approachCost', () => {
  it('is zero at the contact point behind the object and positive elsewhere', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 50; i++) {
      const [ox, oz, push] = [rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(-Math.PI, Math.PI)];
      const [cx, cz] = around(ox, oz, G.contact, push + Math.PI);
      expect(approachCost(ox, oz, cx, cz, push)).toBeLessThan(1e-9);
      // Beside, in front, on the circle behind, and 1 cm off the contact point either way.
      for (const [r, off] of [[G.contact, 90 * DEG], [G.radius, 180 * DEG], [G.radius, 0], [G.contact + 0.01, 0], [G.contact, 12 * DEG]]) {
        const [px, pz] = around(ox, oz, r, push + Math.PI + off);
        expect(approachCost(ox, oz, px, pz, push)).toBeGreaterThan(0.005);
      }
    }
  });

  it('decreases all the way round the circle from in front to behind, then in to the contact point', () => {
    const [ox, oz] = [0.03, -0.04];
    for (const push of [0, 1, -2.5]) {
      for (const way of [1, -1]) {
        // From 1 deg off the front (dead in front neither way round is shorter) to behind.
        const path: [number, number][] = [];
        for (let k = 0; k <= 179; k++) path.push(around(ox, oz, G.radius, push + way * (1 + k) * DEG));
        for (let k = 1; k <= 10; k++) path.push(around(ox, oz, G.radius - ((G.radius - G.contact) * k) / 10, push + Math.PI));
        const costs = path.map(([x, z]) => approachCost(ox, oz, x, z, push));
        for (let k = 1; k < costs.length; k++) expect(costs[k], `step ${k} (push ${push}, way ${way})`).toBeLessThan(costs[k - 1]);
        // Half a turn on a 9 cm circle and then 4 cm in: the cost is about the way still to go.
        expect(costs[0]).toBeGreaterThan(G.radius * (Math.PI - G.behindWithin));
        expect(costs[0]).toBeLessThan(G.radius * Math.PI + 0.04);
        expect(costs[costs.length - 1]).toBeLessThan(1e-9);
      }
    }
  });

  it('is continuous: a small move changes it by at most a few times its length, across the behindWithin edge and dead in front too', () => {
    // The pusher is never inside the bottle (3.5 cm + 1 cm): from 4.5 cm out the worst measured ratio is 3.3.
    const LIPSCHITZ = 4;
    const rng = new Rng(11);
    const check = (r: number, rel: number, push: number, d: number, dir: number): void => {
      const [px, pz] = around(0, 0, r, push + Math.PI + rel);
      const [qx, qz] = [px + d * Math.cos(dir), pz + d * Math.sin(dir)];
      const change = Math.abs(approachCost(0, 0, qx, qz, push) - approachCost(0, 0, px, pz, push));
      expect(change, `r ${r.toFixed(3)}, ${(rel / DEG).toFixed(1)} deg off behind`).toBeLessThanOrEqual(LIPSCHITZ * d + 1e-9);
    };
    for (let i = 0; i < 20000; i++) {
      check(rng.uniform(0.045, 0.3), rng.uniform(-Math.PI, Math.PI), rng.uniform(-Math.PI, Math.PI), rng.uniform(1e-4, 3e-3), rng.uniform(0, 2 * Math.PI));
    }
    // Moves along the circle that cross the edge of the straight approach (+-behindWithin) or the
    // line dead in front (where the shorter way round flips), at several radii.
    for (const r of [0.045, 0.06, G.radius, 0.15]) {
      for (const edge of [G.behindWithin, -G.behindWithin, Math.PI]) {
        for (const d of [1e-4, 1e-3, 3e-3]) {
          const arc = d / r;
          const [ax, az] = around(0, 0, r, 0.7 + Math.PI + edge - arc / 2);
          const [bx, bz] = around(0, 0, r, 0.7 + Math.PI + edge + arc / 2);
          const change = Math.abs(approachCost(0, 0, bx, bz, 0.7) - approachCost(0, 0, ax, az, 0.7));
          expect(change, `r ${r}, edge ${(edge / DEG).toFixed(0)} deg, move ${d}`).toBeLessThanOrEqual(LIPSCHITZ * Math.hypot(bx - ax, bz - az) + 1e-9);
        }
      }
    }
  });
});

describe('approachPoint', () => {
  it('makes for the contact point from within behindWithin of the side behind the object', () => {
    const [ox, oz, push] = [0.05, 0.02, 0.4];
    const contact = around(ox, oz, G.contact, push + Math.PI);
    for (const rel of [0, 20 * DEG, -34 * DEG, G.behindWithin - 1e-6]) {
      for (const r of [0.06, G.radius, 0.2]) {
        const [px, pz] = around(ox, oz, r, push + Math.PI + rel);
        const [tx, tz] = approachPoint(ox, oz, px, pz, push);
        expect(tx).toBeCloseTo(contact[0], 12);
        expect(tz).toBeCloseTo(contact[1], 12);
      }
    }
  });

  it('else heads for a point on the circle turned at most `step` about the object, the shorter way', () => {
    const [ox, oz] = [-0.03, 0.04];
    const rng = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const push = rng.uniform(-Math.PI, Math.PI);
      const rel = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(G.behindWithin + 0.01, Math.PI - 0.01);
      const r = rng.uniform(0.05, 0.2);
      const [px, pz] = around(ox, oz, r, push + Math.PI + rel);
      const [tx, tz] = approachPoint(ox, oz, px, pz, push);
      expect(Math.hypot(tx - ox, tz - oz)).toBeCloseTo(G.radius, 9);
      const from = Math.atan2(pz - oz, px - ox);
      const turned = wrapAngle(Math.atan2(tz - oz, tx - ox) - from);
      // Toward behind (the pusher is `rel` past it, so it turns by -rel's sign), by min(|rel|, step).
      expect(Math.sign(turned)).toBe(-Math.sign(rel));
      expect(Math.abs(turned)).toBeCloseTo(Math.min(Math.abs(rel), G.step), 9);
    }
  });

  it('is clamped to the workspace', () => {
    // Object 5 cm from the +x edge, pusher 60 deg round from behind: the next waypoint, turned
    // 45 deg to 15 deg, lies beyond the edge and is pulled in.
    const [ox, oz] = [WORKSPACE_HALF - 0.05, 0];
    const [px, pz] = around(ox, oz, G.radius, 60 * DEG);
    const [tx, tz] = approachPoint(ox, oz, px, pz, Math.PI);
    expect(tx).toBe(WORKSPACE_HALF);
    expect(tz).toBeCloseTo(oz + G.radius * Math.sin(15 * DEG), 9);
    // Object 2 cm from a corner, pusher behind it: the contact point beyond the corner is pulled into it.
    const [cx0, cz0] = [WORKSPACE_HALF - 0.02, -WORKSPACE_HALF + 0.02];
    const push = (3 * Math.PI) / 4;
    const [qx, qz] = around(cx0, cz0, 0.07, push + Math.PI + 10 * DEG);
    expect(approachPoint(cx0, cz0, qx, qz, push)).toEqual([WORKSPACE_HALF, -WORKSPACE_HALF]);
  });
});
