// The 3D view: builds meshes once from the scene description, then only copies streamed poses into
// them (the sim is the single source of truth; nothing here simulates). Also the goal ghost and
// the table-click raycast that turns a click into a goal.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { BodyPose, SceneDescription, ShapeDescription } from '../../sim/types.ts';
import { FLOATS_PER_BODY } from '../server/protocol.ts';

/** Bodies parked out of the world (inactive distractors, sim/distractors.ts) sit far below the floor and are not drawn. */
const PARKED_BELOW = -1;

/** A bottle silhouette (radius fraction, height fraction from the bottom) for lathe meshes. */
const BOTTLE_PROFILE: [number, number][] = [
  [0, 0], [0.92, 0], [1, 0.04], [1, 0.62], [0.93, 0.7], [0.55, 0.8], [0.38, 0.86], [0.38, 0.97], [0.42, 0.98], [0.42, 1], [0, 1],
];

function geometryFor(shape: ShapeDescription, role: string): THREE.BufferGeometry {
  switch (shape.kind) {
    case 'box':
      return new THREE.BoxGeometry(shape.halfExtents[0] * 2, shape.halfExtents[1] * 2, shape.halfExtents[2] * 2);
    case 'sphere':
      return new THREE.SphereGeometry(shape.radius, 24, 16);
    case 'cylinder': {
      if (role !== 'object') return new THREE.CylinderGeometry(shape.radius, shape.radius, shape.halfHeight * 2, 24);
      // The physics body is a cylinder; draw it as a bottle that fits inside it, centred the same way.
      const pts = BOTTLE_PROFILE.map(([r, h]) => new THREE.Vector2(r * shape.radius, (h - 0.5) * 2 * shape.halfHeight));
      return new THREE.LatheGeometry(pts, 40);
    }
  }
}

/** SwiftShader / llvmpipe (headless CI, no GPU): render cheaper so the page stays responsive. */
function isSoftwareRenderer(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = info && gl ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software/i.test(name);
  } catch {
    return false;
  }
}

export class SceneView {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  /** Meshes in the scene description's body order (frames use that order). */
  private bodies: THREE.Mesh[] = [];
  private readonly bodyGroup = new THREE.Group();
  private readonly ghostGroup = new THREE.Group();
  private readonly goalMarker: THREE.Mesh;
  /** The contract puts the table top at y = 0. */
  private readonly tableTopY = 0;
  readonly overlay = new THREE.Group();

  constructor(private readonly container: HTMLElement) {
    const software = isSoftwareRenderer();
    // preserveDrawingBuffer lets screenshots and tests read the canvas back.
    this.renderer = new THREE.WebGLRenderer({ antialias: !software, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(software ? 1 : Math.min(window.devicePixelRatio, 2));
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    container.appendChild(this.renderer.domElement);
    this.scene.background = new THREE.Color('#1b1f27');
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 20);
    this.camera.position.set(0.04, 0.44, 0.58);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(0, 0.04, 0);
    this.controls.maxPolarAngle = Math.PI * 0.48;
    this.controls.update();

    this.scene.add(new THREE.HemisphereLight('#dfe8ff', '#3a3026', 1.1));
    const sun = new THREE.DirectionalLight('#ffffff', 2.2);
    sun.position.set(0.6, 1.4, 0.5);
    sun.castShadow = true;
    sun.shadow.mapSize.setScalar(software ? 512 : 1024);
    const cam = sun.shadow.camera;
    cam.left = -0.7; cam.right = 0.7; cam.top = 0.7; cam.bottom = -0.7; cam.near = 0.2; cam.far = 3;
    this.scene.add(sun);

    const floor = new THREE.Mesh(new THREE.PlaneGeometry(8, 8), new THREE.MeshStandardMaterial({ color: '#2a2f38' }));
    floor.rotation.x = -Math.PI / 2;
    floor.position.y = -0.75;
    floor.receiveShadow = true;
    this.scene.add(floor, this.bodyGroup, this.ghostGroup, this.overlay);

    this.goalMarker = new THREE.Mesh(
      new THREE.RingGeometry(0.03, 0.038, 40),
      new THREE.MeshBasicMaterial({ color: '#4ade80', transparent: true, opacity: 0.9, side: THREE.DoubleSide }),
    );
    this.goalMarker.rotation.x = -Math.PI / 2;
    this.goalMarker.visible = false;
    this.scene.add(this.goalMarker);
    this.resize();
    window.addEventListener('resize', () => this.resize());
  }

  resize(): void {
    const w = this.container.clientWidth || window.innerWidth;
    const h = this.container.clientHeight || window.innerHeight;
    this.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  /** Rebuild all body meshes for a (new) body list. */
  setScene(desc: SceneDescription, poses: BodyPose[] | null): void {
    for (const m of this.bodies) {
      m.geometry.dispose();
      (m.material as THREE.Material).dispose();
    }
    this.bodyGroup.clear();
    this.bodies = desc.bodies.map((b) => {
      const mat = new THREE.MeshStandardMaterial({
        color: b.color,
        roughness: b.role === 'table' ? 0.85 : 0.35,
        metalness: b.role === 'pusher' ? 0.3 : 0.0,
      });
      const mesh = new THREE.Mesh(geometryFor(b.shape, b.role), mat);
      mesh.castShadow = b.role !== 'table';
      mesh.receiveShadow = b.role === 'table';
      mesh.userData = { id: b.id, role: b.role };
      this.bodyGroup.add(mesh);
      return mesh;
    });
    if (poses) this.applyPoses(poses);
  }

  applyPoses(poses: BodyPose[]): void {
    poses.forEach((p, i) => {
      const m = this.bodies[i];
      if (!m) return;
      m.position.set(...p.position);
      m.quaternion.set(...p.rotation);
      m.visible = p.position[1] > PARKED_BELOW;
    });
  }

  /** Copy a frame's flat poses into the meshes (Rapier-testbed style: no simulation here). */
  applyFrame(poses: Float32Array): boolean {
    if (poses.length !== this.bodies.length * FLOATS_PER_BODY) return false;
    for (let i = 0; i < this.bodies.length; i++) {
      const o = i * FLOATS_PER_BODY;
      this.bodies[i].position.set(poses[o], poses[o + 1], poses[o + 2]);
      this.bodies[i].quaternion.set(poses[o + 3], poses[o + 4], poses[o + 5], poses[o + 6]);
      this.bodies[i].visible = poses[o + 1] > PARKED_BELOW;
    }
    return true;
  }

  bodyPosition(role: string): THREE.Vector3 | null {
    const m = this.bodies.find((b) => b.userData.role === role);
    return m ? m.position : null;
  }

  setGoal(desc: SceneDescription, goalPoses: BodyPose[], goalPoint: [number, number] | null): void {
    this.ghostGroup.clear();
    for (const p of goalPoses) {
      const body = desc.bodies.find((b) => b.id === p.id);
      if (!body) continue;
      const ghost = new THREE.Mesh(
        geometryFor(body.shape, body.role),
        new THREE.MeshStandardMaterial({ color: '#4ade80', transparent: true, opacity: 0.28, depthWrite: false, emissive: '#14532d' }),
      );
      ghost.position.set(...p.position);
      ghost.quaternion.set(...p.rotation);
      this.ghostGroup.add(ghost);
    }
    this.goalMarker.visible = goalPoint !== null;
    if (goalPoint) this.goalMarker.position.set(goalPoint[0], this.tableTopY + 0.001, goalPoint[1]);
  }

  /** Where a click at client coordinates hits the table-top plane, or null if it misses. */
  pickTable(clientX: number, clientY: number): { x: number; z: number } | null {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, this.camera);
    const hit = new THREE.Vector3();
    if (!ray.ray.intersectPlane(new THREE.Plane(new THREE.Vector3(0, 1, 0), -this.tableTopY), hit)) return null;
    const table = this.bodies.find((b) => b.userData.role === 'table');
    if (table) {
      const box = new THREE.Box3().setFromObject(table);
      if (hit.x < box.min.x || hit.x > box.max.x || hit.z < box.min.z || hit.z > box.max.z) return null;
    }
    return { x: hit.x, z: hit.z };
  }

  render(): void {
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
  }
}
